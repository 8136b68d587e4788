import { SendTransactionError } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { DVPN_ERRORS, errorFromCode, errorFromName, programErrorFrom } from '../src/index.js';

// Codes by name, so adding an error to the contract does not rewrite this test.
const code = (name: string) => errorFromName(name)!.code;
const hex = (name: string) => `0x${code(name).toString(16)}`;

describe('errors', () => {
  it('the table has consecutive codes from 6000 in IDL order', () => {
    expect(DVPN_ERRORS.length).toBeGreaterThan(50);
    DVPN_ERRORS.forEach((e, i) => expect(e.code).toBe(6000 + i));
    expect(new Set(DVPN_ERRORS.map((e) => e.name)).size).toBe(DVPN_ERRORS.length);
  });

  it('maps codes', () => {
    expect(errorFromCode(6000)).toEqual({ code: 6000, name: 'InvalidInstruction', msg: 'Unknown instruction or malformed instruction data' });
    expect(errorFromCode(code('InvalidPreimage'))?.name).toBe('InvalidPreimage');
    expect(errorFromCode(5999)).toBeUndefined();
    expect(errorFromCode(6000 + DVPN_ERRORS.length)).toBeUndefined();
    expect(programErrorFrom(code('NodeFull'))?.name).toBe('NodeFull');
  });

  it('maps "custom program error: 0x..." text, logs and error objects', () => {
    expect(programErrorFrom('Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1770')?.name)
      .toBe('InvalidInstruction');
    expect(programErrorFrom(new Error(`failed: custom program error: ${hex('InvalidPreimage')}`))?.name).toBe('InvalidPreimage');
    expect(programErrorFrom('custom program error: 0x0')).toBeUndefined(); // a system program error, not ours

    const logs = [
      'Program BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD invoke [1]',
      'Program log: Error: StaleClaim',
      `Program BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD failed: custom program error: ${hex('StaleClaim')}`,
    ];
    expect(programErrorFrom(logs)?.code).toBe(code('StaleClaim'));
    expect(programErrorFrom(logs.slice(0, 2))?.name).toBe('StaleClaim'); // name logged, code line missing

    expect(programErrorFrom({ InstructionError: [0, { Custom: code('AlreadySettled') }] })?.name).toBe('AlreadySettled');
    expect(programErrorFrom({ value: { err: { InstructionError: [1, { Custom: code('InvalidCapacity') }] } } })?.name).toBe('InvalidCapacity');

    const sendErr = new SendTransactionError({
      action: 'send',
      signature: 'sig',
      transactionMessage: `Transaction simulation failed: Error processing Instruction 0: custom program error: ${hex('ClaimWindowClosed')}`,
      logs,
    });
    expect(programErrorFrom(sendErr)?.code).toBe(code('StaleClaim')); // logs first
    const noLogs = new SendTransactionError({
      action: 'send', signature: 'sig',
      transactionMessage: `Error processing Instruction 0: custom program error: ${hex('ClaimWindowClosed')}`,
    });
    expect(programErrorFrom(noLogs)?.name).toBe('ClaimWindowClosed');
    expect(programErrorFrom(new Error('blockhash not found'))).toBeUndefined();
    expect(programErrorFrom(undefined)).toBeUndefined();
  });
});
