"""`botocore.config.Config`: accepted so that client code runs; fnhost uses none of it
(there are no connections, retries or signatures inside a function)."""

import copy


class Config:
    """Client options (region_name, retries, timeouts, ...); kept, and readable back."""

    OPTION_DEFAULTS = {
        "region_name": None,
        "signature_version": None,
        "user_agent": None,
        "user_agent_extra": None,
        "user_agent_appid": None,
        "connect_timeout": 60,
        "read_timeout": 60,
        "parameter_validation": True,
        "max_pool_connections": 10,
        "proxies": None,
        "proxies_config": None,
        "s3": None,
        "retries": None,
        "client_cert": None,
        "inject_host_prefix": True,
        "endpoint_discovery_enabled": None,
        "use_dualstack_endpoint": None,
        "use_fips_endpoint": None,
        "defaults_mode": None,
        "tcp_keepalive": None,
        "request_min_compression_size_bytes": None,
        "disable_request_compression": None,
        "request_checksum_calculation": None,
        "response_checksum_validation": None,
        "sigv4a_signing_region_set": None,
    }

    def __init__(self, *args, **kwargs):
        if len(args) > len(self.OPTION_DEFAULTS):
            raise TypeError(f"Takes at most {len(self.OPTION_DEFAULTS)} arguments ({len(args)} given)")
        options = dict(self.OPTION_DEFAULTS)
        for name, value in zip(self.OPTION_DEFAULTS, args):
            if name in kwargs:
                raise TypeError(f"Got multiple values for keyword argument '{name}'")
            options[name] = value
        for name, value in kwargs.items():
            if name not in options:
                raise TypeError(f"Got unexpected keyword argument '{name}'")
            options[name] = value
        self._user_provided_options = {**dict(zip(self.OPTION_DEFAULTS, args)), **kwargs}
        for name, value in options.items():
            setattr(self, name, value)

    def merge(self, other_config):
        """A new Config: these options, overridden by the ones `other_config` was given."""
        config_options = copy.copy(self._user_provided_options)
        config_options.update(other_config._user_provided_options)
        return Config(**config_options)
