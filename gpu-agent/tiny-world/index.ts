/** The tiny world: the procedural, captioned data set of `teambooth-tiny`, its fixture subjects and its oracle. */
export { CAPTION_TEMPLATES, composeCaption, type CaptionWords } from './captions.ts';
export { datasetSample, EDGE_MARGIN, generateDataset, sampleTinyWorld, TINY_IMAGE_SIZE, type TinyWorldLabels, type TinyWorldSample } from './dataset.ts';
export { degradeImage, type Degradation } from './degrade-image.ts';
export { evaluationPrompts, type EvaluationPrompt } from './evaluation-prompts.ts';
export { deltaE, rgbToLab, type Lab, type Rgb } from './lab-colour.ts';
export { nearestTinyColour, type ColourReading } from './nearest-colour.ts';
export { TinyWorldOracle, type ShapeReading, type SizeReading, type SubjectSimilarity, type TinyWorldReading } from './oracle.ts';
export { TINY_COLOURS, TINY_PALETTE } from './palette.ts';
export { rasterise, type Painter, type Placement, type RasteriseOptions } from './rasterise.ts';
export { renderShape, type ShapeScene } from './render.ts';
export { renderSubject } from './render-subject.ts';
export { SHAPE_GEOMETRY, type ShapeGeometry } from './shape-geometry.ts';
export { SIZE_CLASSES, SIZE_RADII, SIZE_WORDS, sizeClassOf, type TinySizeClass } from './size-classes.ts';
export { decodePng, readSubjectFixture, readSubjectFixtures, type SubjectFixture, type SubjectManifest } from './subject-fixtures.ts';
export { SUBJECT_GLYPHS, type SubjectGlyph, type TinyClassNoun } from './subject-glyphs.ts';
export { SUBJECT_FIXTURE_PHOTOS, SUBJECT_FIXTURE_SEED, subjectPhotos, type SubjectPhoto } from './subject-photos.ts';
export { compareSignatures, subjectSignature, type SignatureComparison, type SubjectSignature } from './subject-signature.ts';
