//! The top-level `[store]` table: where the host keeps its state, when not in `fnhost.db` in
//! the state directory (`--store` / `FNHOST_STORE` win over it).

use crate::error::ManifestError;
use crate::raw;
use crate::source::Source;

/// The `[store]` table.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct StoreConfig {
    /// `postgres://user:password@host:port/database` (or `postgresql://`) for a PostgreSQL
    /// database the nodes of a cluster share; `sqlite://PATH` or a path for an SQLite file
    /// (relative to the manifest's directory). `None`: `fnhost.db` in the state directory.
    pub url: Option<String>,
}

/// Never shows a password.
impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("url", &self.url.as_deref().map(redact))
            .finish()
    }
}

/// `url` with the password between `user:` and `@` replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{}", &rest[end..]),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Validate the `[store]` table; absent means the default store.
pub(crate) fn validate(
    table: Option<raw::Table<raw::StoreTable>>,
    src: &Source<'_>,
) -> Result<StoreConfig, ManifestError> {
    let Some(raw::Table(table)) = table else {
        return Ok(StoreConfig::default());
    };
    let Some(url) = table.url else {
        return Ok(StoreConfig::default());
    };
    let value = url.get_ref().trim();
    let scheme = value.split_once("://").map(|(scheme, _)| scheme);
    let known = matches!(scheme, None | Some("postgres" | "postgresql" | "sqlite"));
    let empty = value.is_empty() || value == "sqlite://";
    if !known || empty {
        return Err(ManifestError::InvalidStoreUrl {
            at: src.at(url.span()),
            value: redact(value),
            fix: "use postgres://user:password@host:port/database, sqlite://PATH or the path \
                  of an SQLite file"
                .into(),
        });
    }
    Ok(StoreConfig {
        url: Some(value.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_left_out() {
        assert_eq!(
            redact("postgres://fnhost:pw@db:5432/x?sslmode=disable"),
            "postgres://fnhost:***@db:5432/x?sslmode=disable"
        );
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
        assert_eq!(redact("state/fnhost.db"), "state/fnhost.db");
    }
}
