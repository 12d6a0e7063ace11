//! Pictures read and scaled down: the format their bytes show, their dimensions from the
//! header, and decoding within [`limits`] (a small file that claims huge dimensions is refused,
//! not allocated) to fit a box. Chat uses it for what vision models get, accounts for avatars.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// JPEG quality of a scaled-down picture.
const QUALITY: u8 = 85;

/// Why an image cannot be read or scaled.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImageError {
    /// Not PNG, JPEG, GIF or WebP, or damaged.
    #[error("it could not be read as an image")]
    Unreadable,
    /// Wider, taller or larger than decoding allows.
    #[error("it is too large to scale down ({0})")]
    TooLarge(String),
}

/// What decoding may take: 16,384 pixels a side and 512 MB.
fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(512 * 1024 * 1024);
    limits
}

/// The format the bytes show (one of the four every provider takes) and the dimensions their
/// header gives, without decoding.
pub fn probe(bytes: &[u8]) -> Result<(ImageFormat, (u32, u32)), ImageError> {
    let format = image::guess_format(bytes).map_err(|_| ImageError::Unreadable)?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP
    ) {
        return Err(ImageError::Unreadable);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let size = reader
        .into_dimensions()
        .map_err(|_| ImageError::Unreadable)?;
    Ok((format, size))
}

/// Decodes the picture (within [`limits`]) only to be sure it is one.
pub fn check(bytes: &[u8], format: ImageFormat) -> Result<(), ImageError> {
    decode(bytes, format).map(drop)
}

fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => ImageError::TooLarge(l.to_string()),
        _ => ImageError::Unreadable,
    })
}

/// A scaled-down picture.
#[derive(Debug)]
pub struct Scaled {
    /// `image/jpeg` or `image/png`.
    pub media_type: &'static str,
    /// `jpg` or `png`.
    pub extension: &'static str,
    /// The encoded picture.
    pub bytes: Vec<u8>,
}

/// Decodes, scales to fit `max_side` pixels (never up) and encodes: PNG when the picture has
/// transparency and the PNG is at most `max_png` bytes, JPEG otherwise.
pub fn scale(
    bytes: &[u8],
    format: ImageFormat,
    max_side: u32,
    max_png: usize,
) -> Result<Scaled, ImageError> {
    let decoded = decode(bytes, format)?;
    let fitted = if decoded.width().max(decoded.height()) > max_side {
        decoded.resize(max_side, max_side, image::imageops::FilterType::CatmullRom)
    } else {
        decoded
    };
    if fitted.color().has_alpha() {
        let mut png = Vec::new();
        fitted
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|_| ImageError::Unreadable)?;
        if png.len() <= max_png {
            return Ok(Scaled {
                media_type: "image/png",
                extension: "png",
                bytes: png,
            });
        }
    }
    // JPEG has no transparency: flattened as the client shows it, on white.
    let rgb = flatten(fitted);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&rgb)
        .map_err(|_| ImageError::Unreadable)?;
    Ok(Scaled {
        media_type: "image/jpeg",
        extension: "jpg",
        bytes: jpeg,
    })
}

/// An 8-bit RGB image, transparent pixels laid on white.
fn flatten(image: DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = px.0;
        let a = u16::from(a);
        let over = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        out.0 = [over(r), over(g), over(b)];
    }
    rgb
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// `image` encoded as `format` (shared with the chat's image tests).
    pub(crate) fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    #[test]
    fn transparent_pixels_are_laid_on_white_for_jpeg() {
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, image::Rgba([10, 20, 30, 255]));
        let rgb = flatten(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(1, 0).0, [10, 20, 30]);
    }

    #[test]
    fn dimensions_past_the_limits_are_refused_before_decoding() {
        // A few hundred bytes of PNG, 20,000 pixels wide.
        let png = encoded(&DynamicImage::new_luma8(20_000, 1), ImageFormat::Png);
        assert!(png.len() < 1000);
        let err = scale(&png, ImageFormat::Png, 2048, usize::MAX).unwrap_err();
        assert!(matches!(err, ImageError::TooLarge(_)), "{err:?}");
    }
}
