/* libFuzzer target over ef_eventlog_replay (native/tools/fuzz.sh runs it).

   The input is the whole log; the batch holds it three times: whole, then cut in two at a point the
   first byte picks, to exercise per-log offsets into one buffer. Checks beyond "no crash": the fault
   offset lies inside the log (or at the size limit), a replayed log names at least one bank, and the
   whole log gives the same outcome wherever it sits in the batch. */
#include "edgefleet_native.h"

#include <stdlib.h>
#include <string.h>

static void replay(const uint8_t *data, const uint32_t *lens, size_t count, size_t total, uint8_t *status,
                   uint32_t *offset, uint8_t *banks, uint32_t *touched, uint8_t *pcrs)
{
    ef_eventlog_batch batch = {.count = count, .log = data, .log_size = total, .log_len = lens};
    ef_eventlog_results out = {status, offset, banks, touched, pcrs};
    if (ef_eventlog_replay(&batch, 0, count, &out) != EF_OK)
        abort(); /* the batch is consistent: only a log's status may say no */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0xFFFFFFFFu / 2)
        return 0;
    size_t cut = size ? (size_t)data[0] * size / 256 : 0;
    uint8_t *joined = malloc(2 * size + 1); /* +1: never a zero-size allocation */
    if (joined == NULL)
        return 0;
    memcpy(joined, data, size);
    memcpy(joined + size, data, size);
    uint32_t lens[3] = {(uint32_t)size, (uint32_t)cut, (uint32_t)(size - cut)};
    uint8_t status[3], banks[3];
    uint32_t offset[3], touched[3 * EF_EL_BANKS];
    uint8_t *pcrs = malloc(3 * EF_EL_PCR_BYTES);
    if (pcrs == NULL) {
        free(joined);
        return 0;
    }
    replay(joined, lens, 3, 2 * size, status, offset, banks, touched, pcrs);
    for (int i = 0; i < 3; i++) {
        if (status[i] > EF_EL_BAD_LOCALITY)
            abort();
        if (status[i] != EF_EL_OK && offset[i] > lens[i] && offset[i] != EF_EL_MAX_LOG)
            abort();
        if (status[i] == EF_EL_OK && (banks[i] == 0 || banks[i] > 15))
            abort();
    }
    /* the same log alone: same outcome */
    uint8_t status1, banks1;
    uint32_t offset1, touched1[EF_EL_BANKS];
    uint8_t *pcrs1 = malloc(EF_EL_PCR_BYTES);
    if (pcrs1 != NULL) {
        replay(joined + size, lens, 1, size, &status1, &offset1, &banks1, touched1, pcrs1);
        if (status1 != status[0] || offset1 != offset[0]
            || (status1 == EF_EL_OK && memcmp(pcrs1, pcrs, EF_EL_PCR_BYTES) != 0))
            abort();
        free(pcrs1);
    }
    free(pcrs);
    free(joined);
    return 0;
}
