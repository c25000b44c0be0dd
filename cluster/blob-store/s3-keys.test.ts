import { describe, expect, it } from 'vitest';
import { S3_PREFIXES, s3Keys } from './s3-keys.ts';

const HASH = '0f'.repeat(32);

describe('s3Keys', () => {
  it('builds the documented layout', () => {
    expect(s3Keys.upload('u-0123456789abcdef', 'photo-1.png')).toBe('uploads/u-0123456789abcdef/photo-1.png');
    expect(s3Keys.uploadsOf('u-0123456789abcdef')).toBe('uploads/u-0123456789abcdef/');
    expect(s3Keys.result('j-42', 'image-0.png')).toBe('results/j-42/image-0.png');
    expect(s3Keys.resultsOf('j-42')).toBe('results/j-42/');
    expect(s3Keys.lora('zxq', 'j-42')).toBe('loras/zxq/j-42.safetensors');
    expect(s3Keys.tensor(HASH)).toBe(`tensors/sha256/0f/${HASH}`);
    expect(s3Keys.manifest('v12', HASH)).toBe(`models/v12/${HASH}.json`);
    for (const key of [s3Keys.upload('u-0123456789abcdef', 'a'), s3Keys.result('j-1', 'a'), s3Keys.lora('ab', 'j-1'), s3Keys.tensor(HASH), s3Keys.manifest('v1', HASH)]) {
      expect(Object.values(S3_PREFIXES).some((prefix) => key.startsWith(prefix))).toBe(true);
    }
  });

  it('refuses parts that could leave their prefix or break the layout', () => {
    expect(() => s3Keys.upload('../u-1', 'a.png')).toThrow('invalid upload id "../u-1" for an S3 key: an upload id looks like u-0123456789abcdef');
    expect(() => s3Keys.result('j-1', '../../models/v1/manifest.json')).toThrow(/invalid file name/);
    expect(() => s3Keys.result('j-1', '.hidden')).toThrow(/invalid file name/);
    expect(() => s3Keys.result('j-1', 'a/b.png')).toThrow(/invalid file name/);
    expect(() => s3Keys.lora('ZXQ', 'j-1')).toThrow(/invalid subject token "ZXQ"/);
    expect(() => s3Keys.tensor(HASH.toUpperCase())).toThrow(/invalid sha256/);
    expect(() => s3Keys.manifest('v1', 'abc')).toThrow(/invalid sha256/);
    expect(() => s3Keys.manifest('12', HASH)).toThrow('invalid model version "12" for an S3 key: a version id looks like v12');
  });
});
