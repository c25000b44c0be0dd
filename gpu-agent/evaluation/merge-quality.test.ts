import { describe, expect, it } from 'vitest';
import { TinyWorldOracle } from '../tiny-world/oracle.ts';
import { renderSubject } from '../tiny-world/render-subject.ts';
import { SUBJECT_GLYPHS } from '../tiny-world/subject-glyphs.ts';
import { subjectPhotos } from '../tiny-world/subject-photos.ts';
import { evaluationSubject } from './evaluation-subject.ts';
import type { ImageSource } from './image-source.ts';
import { linePlotSvg } from './line-plot.ts';
import { replaceMarkdownSection } from './merge-quality-markdown.ts';
import { measureSubjectConfusion } from './subject-confusion.ts';

const oracle = new TinyWorldOracle();
const glyphs = ['smiley', 'key', 'spiral'].map((name) => SUBJECT_GLYPHS.find((g) => g.name === name)!);
const subjects = glyphs.map((glyph, i) => evaluationSubject(oracle, { token: ['zxq', 'vfy', 'qjx'][i]!, classNoun: glyph.classNoun, photos: subjectPhotos(glyph, 7, 4).map((p) => p.image) }));

describe('measureSubjectConfusion', () => {
  it('counts each image for the subject it looks most like: a model that mixes up two subjects shows off the diagonal', async () => {
    // Draws the key for the spiral's token, and nothing (a plain background) for seed 1 of the smiley.
    const model: ImageSource = async ({ prompt, seed }) => {
      const index = subjects.findIndex((s) => prompt.includes(` ${s.token} `));
      if (index === 0 && seed === 1) return { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(128) };
      return renderSubject(glyphs[index === 2 ? 1 : index]!, 'gray', { x: 30 + seed, y: 33, radius: 18, rotationDeg: 0 });
    };
    const confusion = await measureSubjectConfusion(model, subjects, { seeds: 2, oracle });
    expect(confusion.images).toBe(2);
    expect(confusion.counts).toEqual([
      [1, 0, 0],
      [0, 2, 0],
      [0, 2, 0],
    ]);
    expect(confusion.unreadable).toEqual([1, 0, 0]);
    expect(confusion.similarity[2]![1]).toBeGreaterThan(confusion.similarity[2]![2]!);
  });
});

describe('replaceMarkdownSection', () => {
  const doc = '# Title\n\n## A\n\ntext a\n\n## Merging subjects\n\nold\n\n### sub\n\nold too\n\n## C\n\ntext c\n';

  it('replaces a section up to the next level-2 heading, keeping the rest as it was', () => {
    expect(replaceMarkdownSection(doc, '## Merging subjects', '## Merging subjects\n\nnew\n')).toBe('# Title\n\n## A\n\ntext a\n\n## Merging subjects\n\nnew\n\n## C\n\ntext c\n');
    expect(replaceMarkdownSection('## A\n\n## B\n\nb\n', '## B', '## B\n\nnew')).toBe('## A\n\n## B\n\nnew\n');
  });

  it('appends the section when the document has none', () => {
    expect(replaceMarkdownSection('# Title\n\ntext\n', '## Merging subjects', '## Merging subjects\n\nnew\n')).toBe('# Title\n\ntext\n\n## Merging subjects\n\nnew\n');
  });
});

describe('linePlotSvg', () => {
  it('draws one polyline per series, guides and escaped labels, panels side by side', () => {
    const panel = {
      title: 'a < b',
      xLabel: 'x',
      yLabel: 'y',
      xTicks: [1, 2, 3],
      yRange: [0, 1] as const,
      yTicks: [0, 0.5, 1],
      guides: [{ y: 0.9, label: 'goal' }],
      series: [
        { name: 'one', colour: 'red', points: [{ x: 1, y: 0 }, { x: 3, y: 1 }] },
        { name: 'two', colour: 'blue', dashed: true, points: [{ x: 1, y: 2 }] },
      ],
    };
    const svg = linePlotSvg([panel, panel], { panelWidth: 200, height: 200 });
    expect(svg).toMatch(/^<svg [^>]*width="400" height="200"/);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg).toContain('a &lt; b');
    expect(svg).toContain('stroke-dasharray="6,4"');
    // x 1..3 spans the plot (left margin 56 to 200 - 16); y is clipped to the range (y 2 draws at the top, 34); the plot is 102 high (200 less margins and a legend of 2 rows' 20)..
    expect(svg).toContain('points="56.0,136.0 184.0,34.0"');
    expect(svg).toContain('points="56.0,34.0"');
  });
});
