//! The rules' numbers the window checks while a person types (remark lengths, the successor's
//! fields, the approver's name, the shortest password) and who may hand their own seat over, as
//! one value. The window reads them from `ui/src/bindings/ruleValues.ts`, which this module's test
//! writes (as ts-rs writes the types beside it, and `make test` fails when it is stale): the
//! window never copies a number.

use serde::Serialize;
use ts_rs::TS;

use crate::Role;

/// The rules the window shares with the desk and the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Rules {
    /// Longest remark text, and longest quoted passage, in characters.
    pub comment_chars: usize,
    /// Longest approver name, in characters.
    pub approver_chars: usize,
    /// Longest successor name, in characters.
    pub successor_name_chars: usize,
    /// Longest staff number, in letters, digits and hyphens.
    pub staff_no_chars: usize,
    /// The fewest and the most digits of a phone number.
    pub phone_digits: [usize; 2],
    /// Shortest password, in characters.
    pub password_chars: usize,
    /// Largest image shown inline in a body, in bytes.
    #[ts(type = "number")]
    pub inline_image_bytes: u64,
    /// The roles whose holder may hand their own seat over.
    pub hand_over_own_seat: Vec<Role>,
}

/// The rules as they stand.
pub fn rules() -> Rules {
    use crate::handover;
    Rules {
        comment_chars: crate::remark::MAX_COMMENT_CHARS,
        approver_chars: crate::signoff::MAX_APPROVER_CHARS,
        successor_name_chars: handover::MAX_SUCCESSOR_NAME_CHARS,
        staff_no_chars: handover::MAX_STAFF_NO_CHARS,
        phone_digits: [
            *handover::PHONE_DIGITS.start(),
            *handover::PHONE_DIGITS.end(),
        ],
        password_chars: handover::MIN_PASSWORD_CHARS,
        inline_image_bytes: crate::attachment::MAX_INLINE_IMAGE_BYTES,
        hand_over_own_seat: Role::ALL
            .into_iter()
            .filter(|r| r.may_hand_over_own_seat())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes the window's copy (the file `make test` checks is committed as written), and reads
    /// it back.
    #[test]
    fn the_windows_rules_are_written_from_these() {
        let json = serde_json::to_string_pretty(&rules()).unwrap();
        let text = format!(
            "// Written by crates/domain (rules.rs, its test) from the rules the desk and the \
             office apply. Do not edit.\nimport type {{ Rules }} from \"./Rules\";\n\n\
             export const RULES: Rules = {json};\n"
        );
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../ui/src/bindings/ruleValues.ts"
        );
        std::fs::write(path, &text).unwrap();
        let written = std::fs::read_to_string(path).unwrap();
        let value = written
            .split_once("export const RULES: Rules = ")
            .and_then(|(_, v)| v.trim_end().strip_suffix(';'))
            .unwrap();
        let read: serde_json::Value = serde_json::from_str(value).unwrap();
        assert_eq!(read, serde_json::to_value(rules()).unwrap());
        assert_eq!(
            read["hand_over_own_seat"],
            serde_json::json!(["officer", "responsible"])
        );
    }
}
