// Written by crates/domain (rules.rs, its test) from the rules the desk and the office apply. Do not edit.
import type { Rules } from "./Rules";

export const RULES: Rules = {
  "comment_chars": 2000,
  "approver_chars": 50,
  "successor_name_chars": 50,
  "staff_no_chars": 32,
  "phone_digits": [
    5,
    20
  ],
  "password_chars": 10,
  "inline_image_bytes": 5242880,
  "hand_over_own_seat": [
    "officer",
    "responsible"
  ]
};
