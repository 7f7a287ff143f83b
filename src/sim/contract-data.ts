import type { IsoDate } from "../calendar/index.ts";
import { addDays } from "../calendar/index.ts";
import { sessionOn } from "./market/et-time.ts";
import { ibDate, type OptionContract } from "./market/option-contracts.ts";
import type { SyntheticMarket } from "./market/synthetic-market.ts";
import type { UnderlyingSpec } from "./market/underlying-specs.ts";
import { OUT, VERSION_INELIGIBILITY_REASONS, VERSION_LAST_TRADE_DATE } from "./protocol/ids.ts";
import type { Field } from "./protocol/framing.ts";

const OPTION_ORDER_TYPES =
  "ACTIVETIM,AD,ADJUST,ALERT,ALLOC,AVGCOST,BASKET,COND,CONDORDER,DAY,DEACT,DEACTDIS,DEACTEOD,GAT,GTC,GTD,GTT,HID,ICE,IOC,LIT,LMT,MIT,MKT,MTL,NGCOMB,NONALGO,OCA,OPENCLOSE,PAON,PEGMIDVOL,PEGMKTVOL,PEGPRMVOL,PEGSRFVOL,POSTONLY,PRICECHK,REL,RELPCTOFS,RELSTK,SCALE,SCALERST,SIZECHK,SMARTSTG,SNAPMID,SNAPMKT,SNAPREL,STP,STPLMT,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,VOLAT,WHATIF";
const STOCK_ORDER_TYPES =
  "ACTIVETIM,AD,ADJUST,ALERT,ALGO,ALLOC,AVGCOST,BASKET,BENCHPX,COND,CONDORDER,DARKONLY,DARKPOLL,DAY,DEACT,DEACTDIS,DEACTEOD,DIS,GAT,GTC,GTD,GTT,HID,IBKRATS,ICE,IMB,IOC,LIT,LMT,LOC,MIT,MKT,MOC,MTL,NGCOMB,NODARK,NONALGO,OCA,OPG,OPGREROUT,PEGBENCH,PEGMID,POSTATS,POSTONLY,PREOPGRTH,PRICECHK,REL,RPI,RTH,SCALE,SCALEODD,SCALERST,SIZECHK,SNAPMID,SNAPMKT,SNAPREL,STP,STPLMT,SWEEP,TRAIL,TRAILLIT,TRAILLMT,TRAILMIT,WHATIF";

/** "20260115:0930-20260115:1600;20260117:CLOSED;…" for three calendar days from date, as IB writes it. */
function tradingHours(date: IsoDate, lateClose: boolean): string {
  const days: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const day = addDays(date, offset);
    const session = sessionOn(day, lateClose ? "broad_etf_option" : "equity");
    const compact = ibDate(day);
    days.push(
      session
        ? `${compact}:${session.openEt.replace(":", "")}-${compact}:${session.closeEt.replace(":", "")}`
        : `${compact}:CLOSED`,
    );
  }
  return days.join(";");
}

function tail(serverVersion: number, fields: Field[]): Field[] {
  if (serverVersion >= VERSION_INELIGIBILITY_REASONS) fields.push(0);
  return fields;
}

/** CONTRACT_DATA for an option (42 fields at server version 193). */
export function optionContractData(
  reqId: number,
  contract: OptionContract,
  spec: UnderlyingSpec,
  date: IsoDate,
  serverVersion: number,
): Field[] {
  const expiry = ibDate(contract.expiry);
  const head: Field[] = [OUT.CONTRACT_DATA, reqId, contract.symbol, "OPT", expiry];
  if (serverVersion >= VERSION_LAST_TRADE_DATE) head.push(expiry);
  const hours = tradingHours(date, spec.options?.lateClose ?? false);
  return tail(serverVersion, [
    ...head,
    contract.strike,
    contract.right,
    "SMART",
    "USD",
    contract.localSymbol,
    contract.tradingClass,
    contract.tradingClass,
    contract.conId,
    0.01,
    contract.multiplier,
    OPTION_ORDER_TYPES,
    spec.options?.exchanges.join(",") ?? "SMART",
    1,
    spec.conId,
    spec.longName,
    "",
    expiry.slice(0, 6),
    "",
    "",
    "",
    "US/Eastern",
    hours,
    hours,
    "",
    "",
    0,
    2,
    spec.symbol,
    spec.secType,
    "32,109,109,109,109,109,109,109,109,109,109,109,109,109,109,109,109,109",
    expiry,
    "",
    1,
    1,
    1,
  ]);
}

/** CONTRACT_DATA for a stock/ETF or an index. */
export function underlyingContractData(
  reqId: number,
  spec: UnderlyingSpec,
  exchange: string,
  date: IsoDate,
  serverVersion: number,
): Field[] {
  const isIndex = spec.secType === "IND";
  const head: Field[] = [OUT.CONTRACT_DATA, reqId, spec.symbol, spec.secType, ""];
  if (serverVersion >= VERSION_LAST_TRADE_DATE) head.push("");
  const hours = tradingHours(date, false);
  return tail(serverVersion, [
    ...head,
    0,
    "",
    isIndex ? "CBOE" : exchange || "SMART",
    "USD",
    spec.symbol,
    spec.symbol,
    spec.symbol,
    spec.conId,
    0.01,
    "",
    isIndex ? "" : STOCK_ORDER_TYPES,
    isIndex
      ? "CBOE"
      : `SMART,${spec.primaryExchange},AMEX,ARCA,BATS,BEX,BYX,CHX,DRCTEDGE,EDGEA,EDGX,IBKRATS,IEX,ISE,LTSE,MEMX,NYSE,PEARL,PSX,TPLUS1`,
    1,
    0,
    spec.longName,
    spec.primaryExchange,
    "",
    isIndex ? "Indices" : spec.stockType === "ETF" ? "Funds" : "Technology",
    "",
    "",
    "US/Eastern",
    hours,
    hours,
    "",
    "",
    0,
    isIndex ? 0 : 1,
    "",
    "",
    isIndex ? "32" : "26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26",
    "",
    spec.stockType,
    isIndex ? 1 : 0.0001,
    isIndex ? 1 : 0.0001,
    isIndex ? 1 : 100,
  ]);
}

/** One SECURITY_DEFINITION_OPTION_PARAMETER per exchange (SMART among them), strikes the union over expiries. */
export function chainParameterMessages(
  reqId: number,
  market: SyntheticMarket,
  spec: UnderlyingSpec,
  date: IsoDate,
): Field[][] {
  const options = spec.options;
  if (!options) return [];
  // One row per exchange and class: SPX's AM monthlies and SPXW's PM expiries are separate rows, as IB sends them.
  return market.chainParameters(spec.symbol, date).flatMap((parameters) => {
    const expirations = parameters.expirations.map(ibDate);
    return options.exchanges.map((exchange) => [
      OUT.SECURITY_DEFINITION_OPTION_PARAMETER,
      reqId,
      exchange,
      spec.conId,
      parameters.tradingClass,
      parameters.multiplier,
      expirations.length,
      ...expirations,
      parameters.strikes.length,
      ...parameters.strikes,
    ]);
  });
}
