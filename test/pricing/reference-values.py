"""Reference values for test/pricing/black-scholes.test.ts, computed independently of the TypeScript code:
Black-Scholes-Merton in 40-digit arithmetic with mpmath, greeks by mpmath's numerical differentiation of that
price (not by the closed-form greeks). Run: python3 test/pricing/reference-values.py"""
import mpmath

mpmath.mp.dps = 40


def price(right, s, k, t, r, q, v):
    s, k, t, r, q, v = map(mpmath.mpf, (s, k, t, r, q, v))
    sd = v * mpmath.sqrt(t)
    d1 = (mpmath.log(s / k) + (r - q + v * v / 2) * t) / sd
    d2 = d1 - sd
    if right == "C":
        return s * mpmath.exp(-q * t) * mpmath.ncdf(d1) - k * mpmath.exp(-r * t) * mpmath.ncdf(d2)
    return k * mpmath.exp(-r * t) * mpmath.ncdf(-d2) - s * mpmath.exp(-q * t) * mpmath.ncdf(-d1)


CASES = [
    # name, right, spot, strike, years, rate, dividend yield, volatility
    ("hull-15.6-call", "C", 42, 40, 0.5, 0.1, 0, 0.2),
    ("hull-15.6-put", "P", 42, 40, 0.5, 0.1, 0, 0.2),
    ("hull-index-call", "C", 930, 900, 2 / 12, 0.08, 0.03, 0.2),
    ("hull-greeks-call", "C", 49, 50, 20 / 52, 0.05, 0, 0.2),
    ("spy-atm-call", "C", 600, 600, 30 / 365, 0.04, 0.012, 0.15),
    ("spy-atm-put", "P", 600, 600, 30 / 365, 0.04, 0.012, 0.15),
    ("deep-itm-call", "C", 100, 50, 0.25, 0.04, 0.012, 0.25),
    ("deep-itm-put", "P", 100, 200, 0.25, 0.04, 0.012, 0.25),
    ("deep-otm-call", "C", 100, 150, 0.25, 0.04, 0.012, 0.25),
    ("deep-otm-put", "P", 100, 60, 0.25, 0.04, 0.012, 0.25),
    ("minutes-atm-call", "C", 600, 600.5, 5 / (365 * 24 * 60), 0.04, 0.012, 0.15),
    ("minutes-itm-put", "P", 600, 601, 5 / (365 * 24 * 60), 0.04, 0.012, 0.15),
    ("high-vol-call", "C", 20, 25, 1, 0.04, 0, 3),
    ("high-vol-put", "P", 25, 20, 0.1, 0.04, 0, 1.5),
    ("long-dated-put", "P", 250, 300, 2.5, 0.045, 0, 0.6),
]

for name, right, s, k, t, r, q, v in CASES:
    p = price(right, s, k, t, r, q, v)
    delta = mpmath.diff(lambda x: price(right, x, k, t, r, q, v), s)
    gamma = mpmath.diff(lambda x: price(right, x, k, t, r, q, v), s, 2)
    theta = -mpmath.diff(lambda x: price(right, s, k, x, r, q, v), t) / 365
    vega = mpmath.diff(lambda x: price(right, s, k, t, r, q, x), v) / 100
    rho = mpmath.diff(lambda x: price(right, s, k, t, x, q, v), r) / 100
    values = ", ".join("%.17g" % float(x) for x in (p, delta, gamma, theta, vega, rho))  # nearest doubles
    print(f'  ["{name}", "{right}", {s}, {k}, {t!r}, {r}, {q}, {v}, {values}],')
