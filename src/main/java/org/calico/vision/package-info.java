/**
 * CALICO's vision side: the EVA-CLIP-g / BLIP-2 image encoder ({@link org.calico.vision.EvaVit}), the BLIP-2
 * Q-Former ({@link org.calico.vision.QFormer}, {@link org.calico.vision.Blip2ImageEncoder}), DINOv2 with registers
 * ({@link org.calico.vision.Dinov2}), the Correspondence Extraction Module ({@link org.calico.vision.Cem}), the
 * Correspondence Adaptation Module ({@link org.calico.vision.Cam}) and the image pre-processing
 * ({@link org.calico.vision.ImagePreprocessor}, {@link org.calico.image.PilResample}).
 *
 * <p>Spec: ../shared/spec/model-reference.md sections 3, 4, 5 and 7. User documentation: docs/vision.md.
 */
package org.calico.vision;
