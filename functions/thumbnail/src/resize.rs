//! The image work, free of host calls: which keys are images, the thumbnail's size and key, and
//! decode → resize → PNG.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Extensions this function resizes, compared case-insensitively.
const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// Whether `key` names a PNG or JPEG by its extension (`.png`, `.jpg`, `.jpeg`, any case).
pub fn is_image_key(key: &str) -> bool {
    extension(key).is_some_and(|ext| {
        IMAGE_EXTENSIONS
            .iter()
            .any(|known| ext.eq_ignore_ascii_case(known))
    })
}

/// The thumbnail's key: the source key with its extension replaced by `.png`
/// (`2026/red flower.JPG` → `2026/red flower.png`).
pub fn thumbnail_key(key: &str) -> String {
    let stem = match extension(key) {
        Some(ext) => &key[..key.len() - ext.len() - 1],
        None => key,
    };
    format!("{stem}.png")
}

/// The extension of the last path segment, without the dot; `None` for `dir.d/file` or `.hidden`.
fn extension(key: &str) -> Option<&str> {
    let name = key.rsplit('/').next().unwrap_or(key);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => Some(ext),
        _ => None,
    }
}

/// The size that fits `width` × `height` within `max` × `max`, keeping the aspect ratio
/// (rounded to the nearest pixel, at least 1). Images that already fit keep their size.
pub fn fit(width: u32, height: u32, max: u32) -> (u32, u32) {
    if width <= max && height <= max {
        return (width, height);
    }
    let (long, short) = (u64::from(width.max(height)), u64::from(width.min(height)));
    let max64 = u64::from(max);
    // short * max / long, rounded half up; never 0 and never more than `max`.
    let scaled = ((short * max64 + long / 2) / long).clamp(1, max64) as u32;
    if width >= height {
        (max, scaled)
    } else {
        (scaled, max)
    }
}

/// A PNG thumbnail and the sizes before and after.
#[derive(Debug)]
pub struct Thumbnail {
    /// Width and height of the source image.
    pub source_size: (u32, u32),
    /// Width and height of the thumbnail.
    pub size: (u32, u32),
    /// The thumbnail, PNG-encoded.
    pub png: Vec<u8>,
}

/// Decode a PNG or JPEG, scale it to fit `max` × `max` and encode it as PNG.
///
/// `max_alloc` caps what the decoder may allocate, so an image too large for the function's
/// memory is an error rather than a trap. The error text says what was wrong with the image.
pub fn make_thumbnail(bytes: &[u8], max: u32, max_alloc: u64) -> Result<Thumbnail, String> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("cannot read the image: {e}"))?;
    match reader.format() {
        Some(ImageFormat::Png | ImageFormat::Jpeg) => {}
        Some(other) => {
            return Err(format!(
                "the content is {other:?}, not PNG or JPEG; only PNG and JPEG are resized"
            ));
        }
        None => return Err("the content is neither PNG nor JPEG".into()),
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| format!("cannot decode: {e}"))?;
    let source_size = (image.width(), image.height());
    let size = fit(source_size.0, source_size.1, max);
    let thumbnail = if size == source_size {
        image
    } else {
        image.thumbnail_exact(size.0, size.1)
    };
    Ok(Thumbnail {
        source_size,
        size,
        png: encode_png(&thumbnail)?,
    })
}

fn encode_png(image: &DynamicImage) -> Result<Vec<u8>, String> {
    let mut png = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| format!("cannot encode the thumbnail as PNG: {e}"))?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    const ALLOC: u64 = 64 * 1024 * 1024;

    fn gradient(width: u32, height: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }))
    }

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn image_keys() {
        for key in [
            "a.png",
            "a.PNG",
            "dir/b.jpg",
            "c.JpEg",
            "x.y/z.jpeg",
            "red flower.jpg",
        ] {
            assert!(is_image_key(key), "{key}");
        }
        for key in [
            "a.gif",
            "a.txt",
            "png",
            "dir.png/file",
            ".png",
            "a.png.bak",
            "a.jpg/",
        ] {
            assert!(!is_image_key(key), "{key}");
        }
    }

    #[test]
    fn thumbnail_keys() {
        assert_eq!(thumbnail_key("cat.jpg"), "cat.png");
        assert_eq!(thumbnail_key("2026/red flower.JPEG"), "2026/red flower.png");
        assert_eq!(thumbnail_key("a.b/c.d.png"), "a.b/c.d.png");
        assert_eq!(thumbnail_key("noext"), "noext.png");
    }

    #[test]
    fn fit_keeps_the_aspect_ratio() {
        assert_eq!(fit(1024, 768, 128), (128, 96));
        assert_eq!(fit(768, 1024, 128), (96, 128));
        assert_eq!(fit(4000, 3000, 128), (128, 96));
        assert_eq!(fit(256, 256, 128), (128, 128));
        // 1000 × 333 → 128 × 42.6 rounds to 43.
        assert_eq!(fit(1000, 333, 128), (128, 43));
        // 1000 × 330 → 42.24 rounds to 42.
        assert_eq!(fit(1000, 330, 128), (128, 42));
        // Very thin images keep at least one pixel.
        assert_eq!(fit(10_000, 1, 128), (128, 1));
        assert_eq!(fit(1, 10_000, 128), (1, 128));
        assert_eq!(fit(u32::MAX, u32::MAX - 1, 128), (128, 128));
    }

    #[test]
    fn fit_never_enlarges() {
        assert_eq!(fit(100, 50, 128), (100, 50));
        assert_eq!(fit(128, 128, 128), (128, 128));
        assert_eq!(fit(129, 128, 128), (128, 127));
    }

    #[test]
    fn jpeg_becomes_a_smaller_png() {
        let jpeg = encoded(&gradient(640, 480), ImageFormat::Jpeg);
        let thumb = make_thumbnail(&jpeg, 128, ALLOC).unwrap();
        assert_eq!(thumb.source_size, (640, 480));
        assert_eq!(thumb.size, (128, 96));
        let back = image::load_from_memory_with_format(&thumb.png, ImageFormat::Png).unwrap();
        assert_eq!((back.width(), back.height()), (128, 96));
    }

    #[test]
    fn png_with_a_custom_max() {
        let png = encoded(&gradient(300, 600), ImageFormat::Png);
        let thumb = make_thumbnail(&png, 64, ALLOC).unwrap();
        assert_eq!(thumb.size, (32, 64));
        let back = image::load_from_memory(&thumb.png).unwrap();
        assert_eq!((back.width(), back.height()), (32, 64));
        // The averaged colours still follow the gradient: red grows to the right.
        let rgb = back.to_rgb8();
        assert!(rgb.get_pixel(31, 0)[0] > rgb.get_pixel(0, 0)[0]);
    }

    #[test]
    fn small_images_are_reencoded_unscaled() {
        let png = encoded(&gradient(40, 20), ImageFormat::Png);
        let thumb = make_thumbnail(&png, 128, ALLOC).unwrap();
        assert_eq!((thumb.source_size, thumb.size), ((40, 20), (40, 20)));
    }

    #[test]
    fn garbage_and_other_formats_are_refused() {
        let err = make_thumbnail(b"not an image at all", 128, ALLOC).unwrap_err();
        assert_eq!(err, "the content is neither PNG nor JPEG");
        // A GIF header is recognised but not decoded.
        let err = make_thumbnail(b"GIF89a\x01\x00\x01\x00", 128, ALLOC).unwrap_err();
        assert!(err.contains("Gif, not PNG or JPEG"), "{err}");
        // A truncated PNG is a decode error.
        let png = encoded(&gradient(64, 64), ImageFormat::Png);
        let err = make_thumbnail(&png[..png.len() / 2], 128, ALLOC).unwrap_err();
        assert!(err.starts_with("cannot decode: "), "{err}");
    }

    #[test]
    fn decoder_allocation_is_capped() {
        let png = encoded(&gradient(512, 512), ImageFormat::Png);
        let err = make_thumbnail(&png, 128, 64 * 1024).unwrap_err();
        assert!(err.starts_with("cannot decode: "), "{err}");
        assert!(err.contains("limit"), "{err}");
    }
}
