import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../scripts/cli/registry.js';
import { winback } from '../helpers/cli.js';

/** Every group of commands (`winback campaigns`, `winback import`...) answers --help with its commands. */
const groups = [...new Set(COMMANDS.filter((c) => c.name.includes(' ')).map((c) => c.name.split(' ')[0]!))];

describe('command groups', () => {
  it('are the multi-word commands: campaigns, import, model, customers, events, clv, uplift', () => {
    expect(groups.sort()).toEqual(['campaigns', 'clv', 'customers', 'events', 'import', 'model', 'uplift']);
  });

  it.each(groups)('`winback %s --help` lists its commands and exits 0', async (group) => {
    const r = await winback(group, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`usage: winback ${group} <command>`);
    for (const c of COMMANDS.filter((x) => x.name.startsWith(`${group} `))) expect(r.out).toContain(`${c.name}  `);
  });

  it('`winback campaigns` alone asks for one of its commands (usage, exit 2); an unknown one is still unknown', async () => {
    const bare = await winback('campaigns');
    expect(bare.code).toBe(2);
    expect(bare.err).toContain('winback campaigns: name one of its commands');
    expect(bare.err).toContain('campaigns validate');
    const unknown = await winback('campaigns', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'campaigns frobnicate'");
  });

  it('one option names the campaigns directory: --campaigns DIR, for start, campaigns and simulate --responses', async () => {
    for (const argv of [['start'], ['campaigns', 'list'], ['campaigns', 'run'], ['simulate']]) {
      const r = await winback(...argv, '--help');
      expect(r.out, argv.join(' ')).toContain('--campaigns DIR');
      expect(r.out, argv.join(' ')).not.toMatch(/--dir\b/);
    }
    const old = await winback('campaigns', 'list', '--dir', 'campaigns');
    expect(old.code).toBe(2);
  });
});
