/* buf.c: the bounded read cursor and the growable byte string. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "testutil.h"

static const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};

START_TEST(cursor_reads_big_endian)
{
    struct cursor c = {data, sizeof(data)};
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;

    ck_assert_int_eq(cur_u8(&c, &u8), 0);
    ck_assert_uint_eq(u8, 0x01);
    ck_assert_int_eq(cur_u16(&c, &u16), 0);
    ck_assert_uint_eq(u16, 0x0203);
    ck_assert_int_eq(cur_u32(&c, &u32), 0);
    ck_assert_uint_eq(u32, 0x04050607);
    ck_assert_uint_eq(c.left, 0);
    ck_assert_ptr_eq(c.p, data + sizeof(data));
}
END_TEST

/* At every length short of what a read needs, the read fails and the
 * cursor stays where it was. */
START_TEST(cursor_short_reads_fail_without_moving)
{
    uint8_t u8 = 0xaa;
    uint16_t u16 = 0xaaaa;
    uint32_t u32 = 0xaaaaaaaa;

    for (size_t left = 0; left < 4; left++) {
        struct cursor c = {data, left};

        if (left < 1) {
            ck_assert_int_eq(cur_u8(&c, &u8), -1);
            ck_assert_uint_eq(u8, 0xaa);
        }
        if (left < 2) {
            ck_assert_int_eq(cur_u16(&c, &u16), -1);
            ck_assert_uint_eq(u16, 0xaaaa);
        }
        ck_assert_int_eq(cur_u32(&c, &u32), -1);
        ck_assert_uint_eq(u32, 0xaaaaaaaa);
        ck_assert_ptr_eq(c.p, data);
        ck_assert_uint_eq(c.left, left);
    }
}
END_TEST

START_TEST(cursor_take_bounds)
{
    struct cursor c = {data, sizeof(data)};
    const uint8_t *p = NULL;

    ck_assert_int_eq(cur_take(&c, sizeof(data) + 1, &p), -1);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(cur_take(&c, SIZE_MAX, &p), -1);
    ck_assert_uint_eq(c.left, sizeof(data));
    ck_assert_int_eq(cur_take(&c, 0, &p), 0);
    ck_assert_ptr_eq(p, data);
    ck_assert_int_eq(cur_take(&c, 3, &p), 0);
    ck_assert_ptr_eq(p, data);
    ck_assert_int_eq(cur_take(&c, 4, &p), 0);
    ck_assert_ptr_eq(p, data + 3);
    ck_assert_uint_eq(c.left, 0);
    ck_assert_int_eq(cur_take(&c, 1, &p), -1);
    ck_assert_int_eq(cur_take(&c, 0, &p), 0);
}
END_TEST

START_TEST(bytes_append_and_put)
{
    struct bytes b = {0};
    uint8_t *big = pattern(100000, 1);
    static const uint8_t want[] = {0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef};

    ck_assert_int_eq(bytes_put_u8(&b, 0xab), 0);
    ck_assert_int_eq(bytes_put_u16(&b, 0x1234), 0);
    ck_assert_int_eq(bytes_put_u32(&b, 0xdeadbeef), 0);
    ck_assert_uint_eq(b.len, sizeof(want));
    ck_assert_mem_eq(b.p, want, sizeof(want));
    ck_assert_int_eq(bytes_append(&b, NULL, 0), 0);
    /* growth past the initial capacity keeps what was there */
    ck_assert_int_eq(bytes_append(&b, big, 100000), 0);
    ck_assert_uint_eq(b.len, sizeof(want) + 100000);
    ck_assert_uint_ge(b.cap, b.len);
    ck_assert_mem_eq(b.p, want, sizeof(want));
    ck_assert_mem_eq(b.p + sizeof(want), big, 100000);
    bytes_free(&b);
    ck_assert_ptr_null(b.p);
    ck_assert_uint_eq(b.len, 0);
    free(big);
}
END_TEST

START_TEST(bytes_limit_refuses_and_keeps_contents)
{
    struct bytes b = {.limit = 10, .secret = 1};

    ck_assert_int_eq(bytes_append(&b, "0123456789", 10), 0);
    ck_assert_int_eq(bytes_put_u8(&b, 'x'), -1);
    ck_assert_int_eq(bytes_put_u16(&b, 1), -1);
    ck_assert_int_eq(bytes_put_u32(&b, 1), -1);
    ck_assert_uint_eq(b.len, 10);
    ck_assert_mem_eq(b.p, "0123456789", 10);
    bytes_free(&b);

    b = (struct bytes){.limit = 10};
    ck_assert_int_eq(bytes_append(&b, "01234", 5), 0);
    ck_assert_int_eq(bytes_append(&b, "abcdef", 6), -1);
    ck_assert_uint_eq(b.len, 5);
    /* a length that would wrap size_t is refused, not wrapped */
    ck_assert_int_eq(bytes_append(&b, "x", SIZE_MAX), -1);
    ck_assert_uint_eq(b.len, 5);
    bytes_free(&b);
}
END_TEST

START_TEST(bytes_steal_empties)
{
    struct bytes b = {0};
    uint8_t *p;
    size_t len = 99;

    ck_assert_int_eq(bytes_append(&b, "abc", 3), 0);
    p = bytes_steal(&b, &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(p, "abc", 3);
    ck_assert_ptr_null(b.p);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_uint_eq(b.cap, 0);
    bytes_free(&b); /* harmless after a steal */
    free(p);
}
END_TEST

START_TEST(hex_helpers)
{
    static const uint8_t in[] = {0x00, 0x0f, 0xa5, 0xff};
    char out[9];

    hex_lower(in, sizeof(in), out);
    ck_assert_str_eq(out, "000fa5ff");
    hex_lower(in, 0, out);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(is_lower_hex("000fa5ff", 8), 1);
    ck_assert_int_eq(is_lower_hex("000FA5FF", 8), 0);
    ck_assert_int_eq(is_lower_hex("000fa5f", 8), 0);   /* too short */
    ck_assert_int_eq(is_lower_hex("000fa5fff", 8), 0); /* too long */
    ck_assert_int_eq(is_lower_hex("000fa5fg", 8), 0);
    ck_assert_int_eq(is_lower_hex("", 0), 1);
}
END_TEST

static Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, cursor_reads_big_endian);
    tcase_add_test(tc, cursor_short_reads_fail_without_moving);
    tcase_add_test(tc, cursor_take_bounds);
    tcase_add_test(tc, bytes_append_and_put);
    tcase_add_test(tc, bytes_limit_refuses_and_keeps_contents);
    tcase_add_test(tc, bytes_steal_empties);
    tcase_add_test(tc, hex_helpers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return run_suite(buf_suite()) ? 1 : 0;
}
