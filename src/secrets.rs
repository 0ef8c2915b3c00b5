//! Secrets: loaded from `--secrets FILE` or `RULEC_SECRET_<NAME>`, redacted as `***`.
