import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerSimCommand } from '../../src/cli/sim.js';

describe('tollgate sim command', () => {
  it('registers `sim` with its options and help text', () => {
    const program = new Command('tollgate');
    registerSimCommand(program);
    const sim = program.commands.find((c) => c.name() === 'sim')!;
    expect(sim).toBeDefined();
    expect(sim.options.map((o) => o.long)).toEqual(['--port', '--host', '--seed', '--latency-scale', '--enforce-rate-limits']);
    let help = '';
    sim.configureOutput({ writeOut: (s) => (help += s) });
    sim.outputHelp();
    expect(help).toContain('x-sim-fault');
    expect(help).toContain('/_sim/models/:model');
  });

  it('rejects a bad --port with a clear message', async () => {
    const program = new Command('tollgate').exitOverride();
    registerSimCommand(program);
    let err = '';
    program.commands[0]!.exitOverride().configureOutput({ writeErr: (s) => (err += s) });
    await expect(program.parseAsync(['node', 'tollgate', 'sim', '--port', 'abc'])).rejects.toThrow();
    expect(err).toMatch(/--port must be an integer/);
  });
});
