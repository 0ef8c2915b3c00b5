//! Splitting an input into events: one JSON document, or JSON lines.

/// Splits a file or request body into events: one JSON object (possibly pretty-printed
/// over several lines), or JSON lines. Returns the 1-based line and text of each.
pub fn split_events(text: &str) -> Vec<(usize, &str)> {
    let trimmed = text.trim();
    if trimmed.starts_with('{')
        && trimmed.contains('\n')
        && serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok()
    {
        let first = text.lines().position(|l| !l.trim().is_empty()).unwrap_or(0);
        return vec![(first + 1, trimmed)];
    }
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pretty_printed_event_or_json_lines() {
        let pretty = "\n{\n  \"id\": \"e1\"\n}\n";
        assert_eq!(split_events(pretty), vec![(2, "{\n  \"id\": \"e1\"\n}")]);
        let lines = "{\"id\":\"e1\"}\n\n{\"id\":\"e2\"}\n";
        assert_eq!(
            split_events(lines),
            vec![(1, "{\"id\":\"e1\"}"), (3, "{\"id\":\"e2\"}")]
        );
        // Broken JSON over several lines is judged line by line, so each line's error
        // names its own line.
        assert_eq!(split_events("{\n\"id\": }\n").len(), 2);
    }
}
