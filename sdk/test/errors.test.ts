import { SendTransactionError } from '@solana/web3.js';
import { describe, expect, it } from 'vitest';
import { DVPN_ERRORS, errorFromCode, programErrorFrom } from '../src/index.js';

describe('errors', () => {
  it('the table has consecutive codes from 6000 in IDL order', () => {
    expect(DVPN_ERRORS).toHaveLength(60);
    DVPN_ERRORS.forEach((e, i) => expect(e.code).toBe(6000 + i));
    expect(DVPN_ERRORS[45].name).toBe('NothingToWithdraw');
  });

  it('maps codes', () => {
    expect(errorFromCode(6000)).toEqual({ code: 6000, name: 'InvalidInstruction', msg: 'Unknown instruction or malformed instruction data' });
    expect(errorFromCode(6028)?.name).toBe('InvalidPreimage');
    expect(errorFromCode(5999)).toBeUndefined();
    expect(errorFromCode(6060)).toBeUndefined();
    expect(programErrorFrom(6022)?.name).toBe('NodeFull');
  });

  it('maps "custom program error: 0x..." text, logs and error objects', () => {
    expect(programErrorFrom('Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1770')?.name)
      .toBe('InvalidInstruction');
    expect(programErrorFrom(new Error('failed: custom program error: 0x178c'))?.name).toBe('InvalidPreimage');
    expect(programErrorFrom('custom program error: 0x0')).toBeUndefined(); // a system program error, not ours

    const logs = [
      'Program BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD invoke [1]',
      'Program log: Error: StaleClaim',
      'Program BBo8RXfEDP2qraVWdMNWf9nvaAH7fbB21pwRAy137FRD failed: custom program error: 0x178b',
    ];
    expect(programErrorFrom(logs)?.code).toBe(6027);
    expect(programErrorFrom(logs.slice(0, 2))?.name).toBe('StaleClaim'); // name logged, code line missing

    expect(programErrorFrom({ InstructionError: [0, { Custom: 6035 }] })?.name).toBe('AlreadySettled');
    expect(programErrorFrom({ value: { err: { InstructionError: [1, { Custom: 6020 }] } } })?.name).toBe('InvalidCapacity');

    const sendErr = new SendTransactionError({
      action: 'send',
      signature: 'sig',
      transactionMessage: 'Transaction simulation failed: Error processing Instruction 0: custom program error: 0x1790',
      logs,
    });
    expect(programErrorFrom(sendErr)?.code).toBe(6027); // logs first
    const noLogs = new SendTransactionError({
      action: 'send', signature: 'sig',
      transactionMessage: 'Error processing Instruction 0: custom program error: 0x1790',
    });
    expect(programErrorFrom(noLogs)?.name).toBe('ClaimWindowClosed');
    expect(programErrorFrom(new Error('blockhash not found'))).toBeUndefined();
    expect(programErrorFrom(undefined)).toBeUndefined();
  });
});
