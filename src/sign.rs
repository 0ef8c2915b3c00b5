//! Request signing: `hmac-sha256` and Standard Webhooks. Pure functions, no I/O.
