//! The async runtime: delivery, signing, retries, throttles, the run store, `serve`.
