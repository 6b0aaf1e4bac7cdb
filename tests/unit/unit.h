/* SPDX-License-Identifier: MIT */
/* cmocka needs these before it; every unit test includes this instead. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
