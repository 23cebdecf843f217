/* test-gvm.c - the grammar VM's objects and entry points: connections,
 * hooks, counters, stop, bad calls (runtime/vm/gvm.c). */
#include "test-gvm.h"

#include "bundle.h"
#include "gvm.h"

Test(gvm, demo_conversation)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {
        GA_C("HELLO bob\r\n"), GA_S("+OK hi bob\r\n"), GA_C("NOOP\r\n"), GA_S("-ERR what\r\n"),
        GA_C("BYE\r\n"),       GA_S("+OK bye\r\n"),    GA_C("HELLO again\r\n"),
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(log,
                     "E t.command tx=0 dir=0 command{verb=\"HELLO\" arg=\"bob\"}\n"
                     "E t.reply tx=0 dir=1 reply{ok=\"+OK\" text=\" hi bob\"}\n"
                     "T 0 command{verb=\"HELLO\" arg=\"bob\"} reply{ok=\"+OK\" text=\" hi bob\"}\n"
                     "E t.command tx=1 dir=0 command{verb=\"NOOP\"}\n"
                     "E t.reply tx=1 dir=1 reply{ok=\"-ERR\" text=\" what\"}\n"
                     "T 1 command{verb=\"NOOP\"} reply{ok=\"-ERR\" text=\" what\"}\n"
                     "E t.command tx=2 dir=0 command{verb=\"BYE\"}\n"
                     "T 2 command{verb=\"BYE\"} reply{ok=\"+OK\" text=\" bye\"}\n");
    free(log);
    spu_bundle_unref(b);
}
