//! Just enough HTML reading to submit the forms of an OP's pages the way a
//! browser would: find a POST form, its hidden fields and its default submit
//! button. Not a general parser; OP pages are small and machine-made.

/// A POST form found on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Form {
    /// The `action` attribute, unresolved (may be relative).
    pub action: String,
    /// Fields a browser would send without user input: hidden inputs and the
    /// default submit button's name/value.
    pub fields: Vec<(String, String)>,
    /// Names of all inputs of the form, including visible ones.
    pub inputs: Vec<String>,
}

/// One start tag: lower-cased name and attributes (names lower-cased,
/// values with the common entities decoded).
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    /// Byte offset just after the tag in the page.
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn decode_entities(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Start tags in document order (comments, end tags and text skipped).
fn tags(page: &str) -> Vec<Tag> {
    let bytes = page.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(offset) = page[i..].find('<') {
        let start = i + offset + 1;
        if page[start..].starts_with("!--") {
            i = page[start..].find("-->").map_or(page.len(), |e| start + e + 3);
            continue;
        }
        let mut j = start;
        while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == start {
            i = start;
            continue;
        }
        let name = page[start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        // Attributes until the closing '>' (quoted values may contain '>').
        loop {
            while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] == b'>' {
                break;
            }
            let key_start = j;
            while j < bytes.len() && !bytes[j].is_ascii_whitespace() && !matches!(bytes[j], b'=' | b'>' | b'/') {
                j += 1;
            }
            let key = page[key_start..j].to_ascii_lowercase();
            let mut value = String::new();
            if j < bytes.len() && bytes[j] == b'=' {
                j += 1;
                if j < bytes.len() && (bytes[j] == b'"' || bytes[j] == b'\'') {
                    let quote = bytes[j];
                    let value_start = j + 1;
                    let mut k = value_start;
                    while k < bytes.len() && bytes[k] != quote {
                        k += 1;
                    }
                    value = decode_entities(&page[value_start..k.min(bytes.len())]);
                    j = (k + 1).min(bytes.len());
                } else {
                    let value_start = j;
                    while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                        j += 1;
                    }
                    value = decode_entities(&page[value_start..j]);
                }
            }
            if key.is_empty() {
                j += 1;
            } else {
                attrs.push((key, value));
            }
        }
        let end = (j + 1).min(bytes.len());
        out.push(Tag { name, attrs, end });
        i = end;
    }
    out
}

/// The first form with `method="post"` and what a browser would submit when
/// its default button is pressed. Buttons outside the form that point at it
/// with `form="{id}"` count (oidc-provider's logout page uses that).
pub(crate) fn first_post_form(page: &str) -> Option<Form> {
    let all = tags(page);
    let form_index = all
        .iter()
        .position(|t| t.name == "form" && t.attr("method").is_some_and(|m| m.eq_ignore_ascii_case("post")))?;
    let form_tag = &all[form_index];
    let form_id = form_tag.attr("id").map(str::to_owned);
    let form_end = page[form_tag.end..].to_ascii_lowercase().find("</form").map_or(page.len(), |e| form_tag.end + e);
    let mut form =
        Form { action: form_tag.attr("action").unwrap_or("").to_owned(), fields: Vec::new(), inputs: Vec::new() };
    let mut button: Option<(String, String, bool)> = None;
    for tag in &all[form_index + 1..] {
        let inside = tag.end <= form_end;
        let linked = form_id.is_some() && tag.attr("form") == form_id.as_deref();
        if !(inside || linked) {
            continue;
        }
        let Some(name) = tag.attr("name") else {
            continue;
        };
        let value = tag.attr("value").unwrap_or("").to_owned();
        let kind = tag.attr("type").unwrap_or("").to_ascii_lowercase();
        match tag.name.as_str() {
            "input" if kind == "submit" => {
                remember_button(&mut button, name, value, tag.attr("autofocus").is_some());
            }
            "input" => {
                form.inputs.push(name.to_owned());
                if kind == "hidden" {
                    form.fields.push((name.to_owned(), value));
                }
            }
            "button" if kind.is_empty() || kind == "submit" => {
                remember_button(&mut button, name, value, tag.attr("autofocus").is_some());
            }
            _ => {}
        }
    }
    if let Some((name, value, _)) = button {
        form.fields.push((name, value));
    }
    Some(form)
}

/// Keeps the default button: the autofocused one, else the first.
fn remember_button(button: &mut Option<(String, String, bool)>, name: &str, value: String, autofocus: bool) {
    let replace = match button {
        None => true,
        Some((_, _, had_focus)) => autofocus && !*had_focus,
    };
    if replace {
        *button = Some((name.to_owned(), value, autofocus));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_form_fields() {
        let page = r#"<html><form autocomplete="off" action="/interaction/abc" method="post">
  <input type="hidden" name="prompt" value="login"/>
  <input required type="text" name="login" placeholder="x" autofocus="on">
  <input required type="password" name="password">
  <button type="submit" class="login login-submit">Sign-in</button></form>"#;
        let form = first_post_form(page).expect("form");
        assert_eq!(form.action, "/interaction/abc");
        assert_eq!(form.fields, vec![("prompt".into(), "login".into())]);
        assert_eq!(form.inputs, vec!["prompt", "login", "password"]);
    }

    #[test]
    fn linked_buttons_and_entities() {
        let page = r#"<form id="op.logoutForm" method="post" action="/a?x=1&amp;y=2"><input type="hidden" name="xsrf" value="s3"/></form>
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes</button>
<button type="submit" form="op.logoutForm">No</button>"#;
        let form = first_post_form(page).expect("form");
        assert_eq!(form.action, "/a?x=1&y=2");
        assert_eq!(form.fields, vec![("xsrf".into(), "s3".into()), ("logout".into(), "yes".into())]);
    }

    #[test]
    fn no_post_form() {
        assert!(first_post_form("<form method=get action=x></form>").is_none());
        assert!(first_post_form("<p>logged out</p>").is_none());
    }
}
