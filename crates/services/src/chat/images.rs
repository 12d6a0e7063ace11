//! Attached images as vision models take them.
//!
//! An image is sent as uploaded when it is small enough: at most [`MAX_SIDE`] pixels on its
//! long side and [`MAX_SEND`] bytes (Anthropic refuses larger images, and OpenAI and Gemini
//! scale anything bigger down on their side anyway, after it crossed the network and was
//! counted). A larger one, a phone photo say, is decoded, scaled down to fit and sent as JPEG
//! (PNG when it has transparency), as LibreChat does before it calls a provider. The type sent
//! is the one the bytes show, not the one the upload claimed, since providers refuse a
//! mismatch. Decoding runs on a blocking thread within [`limits`] (a small file that claims
//! huge dimensions is refused, not allocated), and the scaled copies of recent images are
//! kept, because every later turn of a branch sends its images again.

use std::collections::VecDeque;
use std::io::Cursor;
use std::sync::{Mutex, PoisonError};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ferrochat_core::FileId;
use ferrochat_providers::Image;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// Longest side sent, in pixels (OpenAI's high-detail tiling starts by fitting 2048 × 2048).
pub const MAX_SIDE: u32 = 2048;
/// Largest image sent, in bytes (Anthropic's limit per image).
pub const MAX_SEND: usize = 5 * 1024 * 1024;
/// Largest file decoded to be scaled down.
pub const MAX_DECODE: u64 = 32 * 1024 * 1024;
/// Scaled images kept for later turns.
const CACHED: usize = 16;
/// JPEG quality of a scaled-down image.
const QUALITY: u8 = 85;

/// Why an image cannot be sent.
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

type Cached = (FileId, String, Image);

/// Prepares images for models, keeping the last few scaled ones.
#[derive(Default)]
pub struct Images {
    recent: Mutex<VecDeque<Cached>>,
}

impl Images {
    /// File `id` (contents `sha256`, `bytes`) as the model gets it.
    pub async fn prepare(
        &self,
        id: FileId,
        sha256: &str,
        bytes: Vec<u8>,
    ) -> Result<Image, ImageError> {
        if let Some(hit) = self
            .lock()
            .iter()
            .find(|(i, s, _)| *i == id && s == sha256)
            .map(|(_, _, image)| image.clone())
        {
            return Ok(hit);
        }
        let (format, (width, height)) = probe(&bytes)?;
        if width.max(height) <= MAX_SIDE && bytes.len() <= MAX_SEND {
            return Ok(Image {
                media_type: format.to_mime_type().to_owned(),
                data: STANDARD.encode(&bytes),
            });
        }
        let image = tokio::task::spawn_blocking(move || scale(&bytes, format))
            .await
            .map_err(|_| ImageError::Unreadable)??;
        let mut recent = self.lock();
        if recent.len() >= CACHED {
            recent.pop_front();
        }
        recent.push_back((id, sha256.to_owned(), image.clone()));
        Ok(image)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Cached>> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The format the bytes show (one of the four every provider takes) and the dimensions their
/// header gives, without decoding.
fn probe(bytes: &[u8]) -> Result<(ImageFormat, (u32, u32)), ImageError> {
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

/// Decodes, scales to fit [`MAX_SIDE`] and encodes (JPEG, or PNG to keep transparency when
/// that fits in [`MAX_SEND`]).
fn scale(bytes: &[u8], format: ImageFormat) -> Result<Image, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits());
    let decoded = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => ImageError::TooLarge(l.to_string()),
        _ => ImageError::Unreadable,
    })?;
    let fitted = if decoded.width().max(decoded.height()) > MAX_SIDE {
        decoded.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::CatmullRom)
    } else {
        decoded
    };
    if fitted.color().has_alpha() {
        let mut png = Vec::new();
        fitted
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .map_err(|_| ImageError::Unreadable)?;
        if png.len() <= MAX_SEND {
            return Ok(Image {
                media_type: "image/png".into(),
                data: STANDARD.encode(&png),
            });
        }
    }
    // JPEG has no transparency: flattened as the client shows it, on white.
    let rgb = flatten(fitted);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(&rgb)
        .map_err(|_| ImageError::Unreadable)?;
    Ok(Image {
        media_type: "image/jpeg".into(),
        data: STANDARD.encode(&jpeg),
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
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn decoded(image: &Image) -> DynamicImage {
        image::load_from_memory(&STANDARD.decode(&image.data).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn small_images_go_as_they_are_with_the_type_their_bytes_show() {
        let png = encoded(&DynamicImage::new_rgb8(40, 30), ImageFormat::Png);
        let images = Images::default();
        let sent = images
            .prepare(FileId::new(), "a", png.clone())
            .await
            .unwrap();
        assert_eq!(sent.media_type, "image/png");
        assert_eq!(STANDARD.decode(&sent.data).unwrap(), png);
        assert_eq!(
            images
                .prepare(FileId::new(), "b", b"GIF89a but not really".to_vec())
                .await,
            Err(ImageError::Unreadable)
        );
        assert_eq!(
            images
                .prepare(FileId::new(), "c", b"plain text".to_vec())
                .await,
            Err(ImageError::Unreadable)
        );
    }

    #[tokio::test]
    async fn large_images_are_scaled_to_fit_and_kept_for_later_turns() {
        let wide = DynamicImage::new_rgb8(4096, 1024);
        let images = Images::default();
        let id = FileId::new();
        let sent = images
            .prepare(id, "w", encoded(&wide, ImageFormat::Png))
            .await
            .unwrap();
        assert_eq!(sent.media_type, "image/jpeg");
        let back = decoded(&sent);
        assert_eq!((back.width(), back.height()), (2048, 512));
        // The same file again: from memory (garbage bytes would fail otherwise).
        assert_eq!(images.prepare(id, "w", Vec::new()).await.unwrap(), sent);

        // Transparency is kept as PNG.
        let tall = DynamicImage::new_rgba8(300, 3000);
        let sent = images
            .prepare(FileId::new(), "t", encoded(&tall, ImageFormat::Png))
            .await
            .unwrap();
        assert_eq!(sent.media_type, "image/png");
        let back = decoded(&sent);
        assert_eq!(back.height(), 2048);
        assert!((204..=205).contains(&back.width()), "{}", back.width());
        assert!(back.color().has_alpha());
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
        let err = scale(&png, ImageFormat::Png).unwrap_err();
        assert!(matches!(err, ImageError::TooLarge(_)), "{err:?}");
    }
}
