-- Keep only the last few days of air_normal (the hourly QoE job reads the newest day before the scored hour).
DELETE FROM air_normal WHERE day < %(day)s::date - %(keep)s
