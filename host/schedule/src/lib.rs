//! EventBridge schedule expressions: rate(...) and cron(...) parsing and next fire times
