//! Attached images as vision models take them.
//!
//! An image is sent as uploaded when it is small enough: at most [`MAX_SIDE`] pixels on its
//! long side and [`MAX_SEND`] bytes (Anthropic refuses larger images, and OpenAI and Gemini
//! scale anything bigger down on their side anyway, after it crossed the network and was
//! counted). A larger one, a phone photo say, is decoded, scaled down to fit and sent as JPEG
//! (PNG when it has transparency), as LibreChat does before it calls a provider. The type sent
//! is the one the bytes show, not the one the upload claimed, since providers refuse a
//! mismatch. Decoding runs on a blocking thread within [`crate::images`]' limits (a small file
//! that claims huge dimensions is refused, not allocated), and the scaled copies of recent
//! images are kept, because every later turn of a branch sends its images again.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ferrochat_core::FileId;
use ferrochat_providers::Image;

pub use crate::images::ImageError;
use crate::images::{probe, scale};

/// Longest side sent, in pixels (OpenAI's high-detail tiling starts by fitting 2048 × 2048).
pub const MAX_SIDE: u32 = 2048;
/// Largest image sent, in bytes (Anthropic's limit per image).
pub const MAX_SEND: usize = 5 * 1024 * 1024;
/// Largest file decoded to be scaled down.
pub const MAX_DECODE: u64 = 32 * 1024 * 1024;
/// Scaled images kept for later turns.
const CACHED: usize = 16;

/// Prepares images for models, keeping the last few scaled ones.
#[derive(Default)]
pub struct Images {
    recent: super::recent::Recent<Image, CACHED>,
}

impl Images {
    /// File `id` (contents `sha256`, `bytes`) as the model gets it.
    pub async fn prepare(
        &self,
        id: FileId,
        sha256: &str,
        bytes: Vec<u8>,
    ) -> Result<Image, ImageError> {
        if let Some(hit) = self.recent.get(id, sha256) {
            return Ok(hit);
        }
        let (format, (width, height)) = probe(&bytes)?;
        if width.max(height) <= MAX_SIDE && bytes.len() <= MAX_SEND {
            return Ok(Image {
                media_type: format.to_mime_type().to_owned(),
                data: STANDARD.encode(&bytes),
            });
        }
        let scaled = tokio::task::spawn_blocking(move || scale(&bytes, format, MAX_SIDE, MAX_SEND))
            .await
            .map_err(|_| ImageError::Unreadable)??;
        let image = Image {
            media_type: scaled.media_type.to_owned(),
            data: STANDARD.encode(&scaled.bytes),
        };
        self.recent.put(id, sha256, image.clone());
        Ok(image)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use image::{DynamicImage, ImageFormat};

    use super::*;
    use crate::images::tests::encoded;

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
}
