//! The QR code of an authenticator setup, drawn here as inline SVG: no image
//! service ever sees the secret, and the page needs no extra request.

use qrcode::QrCode;
use qrcode::render::svg;

/// An inline `<svg>` of `text`, or `None` when it does not fit in a QR code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let image = code.render::<svg::Color>().min_dimensions(200, 200).quiet_zone(true).build();
    // The XML declaration is for standalone files; inline SVG starts at <svg.
    let start = image.find("<svg")?;
    Some(image[start..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_inline_svg() {
        let image = svg("otpauth://totp/x?secret=ABC").unwrap();
        assert!(image.starts_with("<svg"));
        assert!(image.ends_with("</svg>"));
    }
}
