#ifndef CLIBPQ_SHIM_H
#define CLIBPQ_SHIM_H

// libpq, PostgreSQL's C client (Debian libpq-dev): imported only by the store (Sources/VerifyRunner/Store).
#include <libpq-fe.h>

#endif
