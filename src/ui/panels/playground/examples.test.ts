import { describe, expect, it } from 'vitest';
import { DEFAULT_EXAMPLE, EXAMPLES, exampleById } from './examples.js';

describe('the Playground examples', () => {
  it('each have their own id, a title, one sentence on what to see, and a commented program with main', () => {
    expect(new Set(EXAMPLES.map((e) => e.id)).size).toBe(EXAMPLES.length);
    for (const example of EXAMPLES) {
      expect(exampleById(example.id)).toBe(example);
      expect(example.title.length, example.id).toBeGreaterThan(0);
      expect(example.see, example.id).toMatch(/^[A-Z].*\.$/);
      expect(example.see.split(/\.\s/).length, `${example.id}: one sentence`).toBe(1);
      expect(example.source, example.id).toMatch(/^\/\*\n \* /);
      expect(example.source, example.id).toMatch(/\nint main\(void\)\n\{\n/);
    }
    expect(EXAMPLES).toContain(DEFAULT_EXAMPLE);
    expect(exampleById('no-such-example')).toBeUndefined();
  });
});
