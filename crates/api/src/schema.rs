//! Schemas for the OpenAPI document of the text fields the domain checks,
//! stated exactly as `concord_domain` checks them, so that a client (or a
//! fuzzer) generating from the document sends what the server accepts, and
//! the server refuses whatever the document rules out.
//!
//! The rules trim first, so the patterns allow whitespace around the value
//! and count only what is inside it. "Whitespace" is Rust's `char::trim`
//! set (Unicode `White_Space`), spelled out because a pattern's `\s` differs
//! between regex engines; "control" is Unicode `Cc` (U+0000–U+001F,
//! U+007F–U+009F). The types exist only to name these schemas.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// Unicode `White_Space`, as `str::trim` strips it (a character-class body).
macro_rules! ws {
    () => {
        r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}
/// Neither whitespace nor a control character: the first and last character
/// of a trimmed text.
macro_rules! edge {
    () => {
        concat!(r"[^\x00-\x1F\x7F-\x9F", ws!(), "]")
    };
}
/// Inside a trimmed text: anything but a control character other than tab
/// and newline.
macro_rules! inner {
    () => {
        r"[^\x00-\x08\x0B-\x1F\x7F-\x9F]"
    };
}
/// What an email address may not contain besides its one `@`.
macro_rules! email_char {
    ($extra:literal) => {
        concat!(r"[^\x00-\x1F\x7F-\x9F@", $extra, ws!(), "]")
    };
}

fn string(pattern: &str, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

macro_rules! text_schema {
    ($(#[$doc:meta])* $name:ident, $pattern:expr, $description:literal) => {
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string($pattern, $description)
            }
        }

        impl ToSchema for $name {}
    };
}

text_schema!(
    /// Workspace, channel and person names: 1–80 characters once trimmed.
    Name,
    concat!("^[", ws!(), "]*", edge!(), "(?:", inner!(), "{0,78}", edge!(), ")?[", ws!(), "]*$"),
    "1 to 80 characters once trimmed; no control characters but tab and newline"
);

text_schema!(
    /// A channel's name: a [`Name`] other than `general` (any ASCII case).
    ChannelName,
    concat!(
        "^[", ws!(), "]*(?![Gg][Ee][Nn][Ee][Rr][Aa][Ll][", ws!(), "]*$)",
        edge!(), "(?:", inner!(), "{0,78}", edge!(), ")?[", ws!(), "]*$"
    ),
    "1 to 80 characters once trimmed, not `general`; no control characters but tab and newline"
);

text_schema!(
    /// Descriptions and topics: at most 1,000 characters once trimmed;
    /// empty clears the field.
    LongText,
    concat!("^[", ws!(), "]*(?:", edge!(), "(?:", inner!(), "{0,998}", edge!(), ")?)?[", ws!(), "]*$"),
    "At most 1000 characters once trimmed (empty means none); no control characters but tab and newline"
);

text_schema!(
    /// A message's text: 1–4,000 characters once trimmed, no NUL.
    MessageText,
    concat!("^[", ws!(), "]*[^\\x00", ws!(), "](?:[^\\x00]{0,3998}[^\\x00", ws!(), "])?[", ws!(), "]*$"),
    "1 to 4000 characters once trimmed; no NUL"
);

text_schema!(
    /// A username: 1–40 ASCII letters, digits, `_`, `.` and `-` once trimmed.
    Username,
    concat!("^[", ws!(), "]*[A-Za-z0-9_.-]{1,40}[", ws!(), "]*$"),
    "1 to 40 ASCII letters, digits, `_`, `.` or `-` once trimmed"
);

text_schema!(
    /// An email address: one `@` after a non-empty local part, a dotted
    /// domain that neither starts nor ends with a dot, no whitespace or
    /// control character inside, at most 254 characters once trimmed.
    Email,
    concat!(
        "^[", ws!(), "]*(?=[^", ws!(), "]{1,254}[", ws!(), "]*$)",
        email_char!(""), "+@", email_char!("."), email_char!(""), r"*\.",
        email_char!(""), "*", email_char!("."), "[", ws!(), "]*$"
    ),
    "local@domain.tld: at most 254 characters once trimmed, compared without case"
);

text_schema!(
    /// A URL (image, attachment): at most 2,048 characters once trimmed, no
    /// whitespace or control character inside; empty means none.
    Url,
    concat!("^[", ws!(), "]*(?:[^\\x00-\\x1F\\x7F-\\x9F", ws!(), "]{1,2048})?[", ws!(), "]*$"),
    "At most 2048 characters once trimmed, without whitespace; empty means none"
);

text_schema!(
    /// A channel's type, in any ASCII case.
    ChannelKind,
    concat!("^[", ws!(), "]*(?:[Tt][Ee][Xx][Tt]|[Aa][Uu][Dd][Ii][Oo]|[Vv][Ii][Dd][Ee][Oo])[", ws!(), "]*$"),
    "TEXT, AUDIO or VIDEO, in any case"
);

text_schema!(
    /// A role a member can be given, in any ASCII case.
    Role,
    concat!("^[", ws!(), "]*(?:[Aa][Dd][Mm][Ii][Nn]|[Mm][Oo][Dd][Ee][Rr][Aa][Tt][Oo][Rr]|[Gg][Uu][Ee][Ss][Tt])[", ws!(), "]*$"),
    "ADMIN, MODERATOR or GUEST, in any case"
);

text_schema!(
    /// A search query: 1–200 characters once trimmed, no NUL. That it names
    /// a word to find is the text-search parser's to say, which no pattern
    /// can: the description states it.
    SearchText,
    concat!("^[", ws!(), "]*[^\\x00", ws!(), "](?:[^\\x00]{0,198}[^\\x00", ws!(), "])?[", ws!(), "]*$"),
    "1 to 200 characters once trimmed; no NUL; at least one word that is not excluded"
);

text_schema!(
    /// A reaction in a path: one Unicode emoji (URL-encoded) or a
    /// shortcode. The pattern states the shortcodes; which Unicode clusters
    /// are one emoji the description says.
    EmojiParam,
    "^:[a-z0-9_+-]{1,32}:$",
    "A :shortcode: as the pattern says, or one Unicode emoji, URL-encoded (at most 32 bytes)"
);
