//! fnhost's asynchronous triggers: file watch (S3), schedules (EventBridge) and durable delivery with retries, dead letters and a loop guard
