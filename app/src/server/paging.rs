//! Opaque keyset-paging tokens: the sort key of the last row, hex-encoded.

use crate::error::AppError;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// The requested page size, 1 to [`MAX_PAGE_SIZE`] (default [`DEFAULT_PAGE_SIZE`]).
pub fn page_size(count: Option<u32>) -> Result<u32, AppError> {
    let count = count.unwrap_or(DEFAULT_PAGE_SIZE);
    if count == 0 || count > MAX_PAGE_SIZE {
        return Err(AppError::InvalidInput(format!(
            "count: must be 1 to {MAX_PAGE_SIZE}"
        )));
    }
    Ok(count)
}

pub fn bad_token() -> AppError {
    AppError::InvalidInput("paging_token: not a paging token from this API".into())
}

/// Decodes an optional paging token of `parts` fields; `None` for the first page.
pub fn decode_optional(token: Option<&str>, parts: usize) -> Result<Option<Vec<String>>, AppError> {
    match token.filter(|t| !t.is_empty()) {
        Some(token) => decode(token, parts).map(Some).ok_or_else(bad_token),
        None => Ok(None),
    }
}

pub fn encode(parts: &[&str]) -> String {
    parts
        .join("\n")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn decode(token: &str, expected_parts: usize) -> Option<Vec<String>> {
    if !token.len().is_multiple_of(2) || token.len() > 2048 {
        return None;
    }
    let bytes = (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    let text = String::from_utf8(bytes).ok()?;
    let parts: Vec<String> = text.split('\n').map(str::to_string).collect();
    (parts.len() == expected_parts).then_some(parts)
}

/// A case-insensitive LIKE pattern with the wildcards in `value` escaped (use `ESCAPE '\'`).
pub fn like_pattern(value: &str, prefix_only: bool) -> String {
    let escaped = value
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    if prefix_only {
        format!("{escaped}%")
    } else {
        format!("%{escaped}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_garbage_is_refused() {
        let token = encode(&["a@x.io", "usr_1"]);
        assert_eq!(
            decode(&token, 2),
            Some(vec!["a@x.io".into(), "usr_1".into()])
        );
        assert_eq!(decode(&token, 3), None);
        for bad in ["zz", "abc", "0g"] {
            assert_eq!(decode(bad, 2), None, "{bad}");
        }
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("A_b%", true), "a\\_b\\%%");
        assert_eq!(like_pattern("ada", false), "%ada%");
    }
}
