INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability, traffic_bytes, reasons,
                        air_band_dghz, air_foreign_pct, computed_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT (home_key, bucket) DO UPDATE SET
    score = EXCLUDED.score, wifi = EXCLUDED.wifi, access = EXCLUDED.access, health = EXCLUDED.health,
    stability = EXCLUDED.stability, traffic_bytes = EXCLUDED.traffic_bytes, reasons = EXCLUDED.reasons,
    air_band_dghz = EXCLUDED.air_band_dghz, air_foreign_pct = EXCLUDED.air_foreign_pct, computed_at = now()
