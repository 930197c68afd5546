//! The names a format string mentions: `"{name}"`, `"{name:?}"`, and the `width$` /
//! `prec$` arguments of a spec (`"{x:>w$.p$}"`).
//!
//! Input: a string literal's value. Output: each name with its char range, in order.

/// `(start, end, name)` for each name `text` mentions, as char indices.
pub(crate) fn names(text: &str) -> Vec<(usize, usize, String)> {
    let mut names = Vec::new();
    let bytes: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == '{' {
            if bytes.get(i + 1) == Some(&'{') {
                i += 2;
                continue;
            }
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && (bytes[j].is_alphanumeric() || bytes[j] == '_') {
                j += 1;
            }
            if j > start
                && matches!(bytes.get(j), Some('}') | Some(':'))
                && !bytes[start].is_ascii_digit()
            {
                names.push((start, j, bytes[start..j].iter().collect::<String>()));
            }
            // `{:width$}`, `{:.prec$}`, `{x:>w$.p$}`: names before a `$` in the spec.
            if bytes.get(j) == Some(&':') {
                let mut k = j + 1;
                while k < bytes.len() && bytes[k] != '}' {
                    if bytes[k].is_alphabetic() || bytes[k] == '_' {
                        let from = k;
                        while k < bytes.len() && (bytes[k].is_alphanumeric() || bytes[k] == '_') {
                            k += 1;
                        }
                        if bytes.get(k) == Some(&'$') {
                            names.push((from, k, bytes[from..k].iter().collect::<String>()));
                        }
                    } else {
                        k += 1;
                    }
                }
                j = k;
            }
            i = j;
        } else {
            i += 1;
        }
    }
    names
}

/// `text` with the names at `renames` (`(start, end, new name)`, in order) replaced.
pub(crate) fn rewrite(text: &str, renames: &[(usize, usize, String)]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut rebuilt = String::new();
    let mut last = 0;
    for (start, end, to) in renames {
        rebuilt.extend(&chars[last..*start]);
        rebuilt.push_str(to);
        last = *end;
    }
    rebuilt.extend(&chars[last..]);
    rebuilt
}
