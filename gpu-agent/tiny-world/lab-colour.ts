/** An 8-bit sRGB colour as `[r, g, b]`, each 0..255. */
export type Rgb = readonly [number, number, number];

/** A CIELAB colour (D65 white) as `[L, a, b]`. */
export type Lab = readonly [number, number, number];

/**
 * Converts an 8-bit sRGB colour (channels may be fractional) to CIELAB under D65, the space
 * in which the tiny world names colours: Euclidean distance there (ΔE 1976) follows what an
 * eye calls "the same colour" far better than distance in RGB.
 */
export function rgbToLab(rgb: Rgb): Lab {
  const linear = (c: number): number => {
    const v = Math.min(Math.max(c, 0), 255) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const r = linear(rgb[0]);
  const g = linear(rgb[1]);
  const b = linear(rgb[2]);
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047;
  const y = 0.2126729 * r + 0.7151522 * g + 0.072175 * b;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / 1.08883;
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const fx = f(x);
  const fy = f(y);
  const fz = f(z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** ΔE 1976: the Euclidean distance of two CIELAB colours. */
export function deltaE(a: Lab, b: Lab): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}
