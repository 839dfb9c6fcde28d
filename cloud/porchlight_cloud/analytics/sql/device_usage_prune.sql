-- Keep only the last few days of device_usage (the hourly QoE job reads the newest day before the scored hour).
DELETE FROM device_usage WHERE day < %(day)s::date - %(keep)s
