/** Reads a client message's fields loosely, as a gateway must: "", "0" and "0.0" mean "unset" for ids and strikes. */
export class FieldReader {
  private index = 0;

  constructor(private readonly fields: readonly string[]) {}

  get remaining(): number {
    return this.fields.length - this.index;
  }

  /** The next field; throws when the message is shorter than its layout. */
  str(): string {
    if (this.index >= this.fields.length) throw new ShortMessageError(this.fields.length);
    return this.fields[this.index++] as string;
  }

  /** An integer, or undefined for "" and non-numbers. */
  int(): number | undefined {
    const text = this.str().trim();
    if (text === "") return undefined;
    const value = Number.parseInt(text, 10);
    return Number.isFinite(value) ? value : undefined;
  }

  /** A number, or undefined for "" and non-numbers. */
  num(): number | undefined {
    const text = this.str().trim();
    if (text === "") return undefined;
    const value = Number.parseFloat(text);
    return Number.isFinite(value) ? value : undefined;
  }

  bool(): boolean {
    const text = this.str().trim();
    return text !== "" && text !== "0" && text.toLowerCase() !== "false";
  }
}

export class ShortMessageError extends Error {
  constructor(readonly fieldCount: number) {
    super(`message has only ${fieldCount} fields`);
  }
}

/** The contract fields every request carries, in wire order. */
export interface ContractFields {
  conId?: number;
  symbol: string;
  secType: string;
  lastTradeDateOrContractMonth: string;
  strike?: number;
  right: string;
  multiplier: string;
  exchange: string;
  primaryExch: string;
  currency: string;
  localSymbol: string;
  tradingClass: string;
}

export function readContract(reader: FieldReader): ContractFields {
  const conId = reader.int();
  const contract: ContractFields = {
    conId: conId === 0 ? undefined : conId,
    symbol: reader.str().trim().toUpperCase(),
    secType: reader.str().trim().toUpperCase(),
    lastTradeDateOrContractMonth: reader.str().trim(),
    strike: reader.num(),
    right: reader.str().trim().toUpperCase(),
    multiplier: reader.str().trim(),
    exchange: reader.str().trim().toUpperCase(),
    primaryExch: reader.str().trim().toUpperCase(),
    currency: reader.str().trim().toUpperCase(),
    localSymbol: reader.str().trim(),
    tradingClass: reader.str().trim().toUpperCase(),
  };
  if (contract.strike === 0) contract.strike = undefined;
  return contract;
}
