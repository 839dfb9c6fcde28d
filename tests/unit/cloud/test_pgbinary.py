"""Binary array values for COPY: the array_recv wire format, nulls and empty arrays included."""

import struct

from porchlight_cloud.store.pgbinary import float4s, int2s, int4s


def test_a_smallint_array_is_header_dimension_and_length_prefixed_items():
    assert int2s([1, -2]) == struct.pack(">5iihih", 1, 0, 21, 2, 1, 2, 1, 2, -2)


def test_nulls_set_the_flag_and_are_length_minus_one():
    assert int4s([None, 7]) == struct.pack(">5iiii", 1, 1, 23, 2, 1, -1, 4, 7)


def test_an_empty_array_has_no_dimension_and_none_is_null():
    assert float4s([]) == struct.pack(">3i", 0, 0, 700)
    assert int2s(None) is None
