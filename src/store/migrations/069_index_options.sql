-- Index options (config `symbols:`, src/config/symbols.ts): one index lists several trading classes (SPX: AM-settled monthlies; SPXW: PM-settled weeklies
-- and dailies) that share expiry, strike and right, and settle and exercise differently from equity options.
-- A backtest needs both per contract: an AM-settled contract's last price is from the day before its expiry,
-- and a European one cannot be exercised early (put-call parity is an equality, not a band).
--   settlement:     'AM' (the expiry day's opening prints) or 'PM' (its close); equity and ETF options are 'PM'.
--   exercise_style: 'european' (index options) or 'american' (equity and ETF options).
-- Contracts stored before this migration get both from their underlying's security type (none of them was an
-- index option's AM class: chainvault collected one class, named like the symbol, of equities and ETFs).
-- option_chains is a plain table (one row per contract), so the backfill is one UPDATE.
ALTER TABLE option_chains ADD COLUMN settlement VARCHAR(2)
    CONSTRAINT option_chains_settlement_check CHECK (settlement IN ('AM', 'PM'));
ALTER TABLE option_chains ADD COLUMN exercise_style VARCHAR(8)
    CONSTRAINT option_chains_exercise_style_check CHECK (exercise_style IN ('american', 'european'));
UPDATE option_chains AS c
   SET exercise_style = CASE WHEN u.security_type = 'IND' THEN 'european' ELSE 'american' END,
       settlement = CASE WHEN u.security_type = 'IND' THEN NULL ELSE 'PM' END
  FROM underlying_securities AS u
 WHERE u.id = c.underlying_id;

-- Chain analytics per expiry AND trading class: on a third Friday SPX (AM) and SPXW (PM) list the same expiry,
-- strikes and rights, yet they are different contracts with different prices (they settle on different prints),
-- so pairing an SPX call with an SPXW put would measure nothing. Rows stored before this migration are of
-- equities and ETFs, whose one class is named like the symbol.
ALTER TABLE expiry_analytics ADD COLUMN trading_class VARCHAR(20);
UPDATE expiry_analytics SET trading_class = symbol;
ALTER TABLE expiry_analytics ALTER COLUMN trading_class SET NOT NULL;
ALTER TABLE expiry_analytics DROP CONSTRAINT expiry_analytics_pkey;
ALTER TABLE expiry_analytics ADD PRIMARY KEY (collection_date, collection_type, symbol, expiry, trading_class);
