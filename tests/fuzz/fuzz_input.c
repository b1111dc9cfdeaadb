/* fuzz_input.c — libFuzzer target: any bytes as a person's message through input_clean (the
 * first thing that reads outside text): the result holds no NUL, C0 (but tab and newline) or
 * C1 control character, is never longer than the limit, and is a prefix-preserving cut. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "sb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0'; /* a NUL inside ends the C string, as it would for the router */
    size_t max = size > 0 ? (size_t)data[0] * 4 + 1 : 16;
    input_clean_result r;
    if (input_clean(text, max, &r) == SB_OK) {
        size_t n = strlen(r.text);
        if (n > max && r.cut)
            abort();
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)r.text[i];
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
                abort();
            if (c == 0xc2 && i + 1 < n && (unsigned char)r.text[i + 1] >= 0x80 &&
                (unsigned char)r.text[i + 1] <= 0x9f)
                abort(); /* a C1 control in UTF-8 */
        }
        free(r.text);
    }
    free(text);
    return 0;
}
