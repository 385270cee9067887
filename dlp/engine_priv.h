/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine_priv.h — internal accessors of the DLP engine for tools in this
 * repository (the benchmark compares the full path against raw Hyperscan
 * scans with the very same compiled database). Not part of the dlp.h
 * contract; the appliance does not use it.
 */
#ifndef SMTPDLP_DLP_ENGINE_PRIV_H
#define SMTPDLP_DLP_ENGINE_PRIV_H

#include "dlp/dlp.h"
#include "dlp/matcher.h"

/* The snapshot's compiled database; valid while ps is referenced. */
const struct dlp_matcher *dlp_policy_set_matcher(const struct dlp_policy_set *ps);

#endif /* SMTPDLP_DLP_ENGINE_PRIV_H */
