/**
 * One measured figure and the number of generated images behind it, so a reader can tell a
 * figure from 2 images from one from 200.
 */
export interface Figure {
  /** A share in [0, 1], a mean similarity in [0, 1], or a difference of shares in [-1, 1]. */
  value: number;
  /** Generated images the figure was computed from. */
  images: number;
}

/** The share of `total` images that passed, as a figure (value 0 when there were no images). */
export function shareFigure(passed: number, total: number): Figure {
  return { value: total === 0 ? 0 : passed / total, images: total };
}

/** The mean of one value per image, as a figure (value 0 when there were no images). */
export function meanFigure(values: readonly number[]): Figure {
  return { value: values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length, images: values.length };
}
