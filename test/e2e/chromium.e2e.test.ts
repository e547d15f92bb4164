/**
 * Every real-media end-to-end suite in Chromium (Debian's chromium, playwright-core over CDP), one
 * browser shared by all of them. The suites (./suites) are the same for every engine.
 */
import { useEngine } from './helpers/engineSuite'
import { demoSuite } from './suites/demo'
import { failoverSuite } from './suites/failover'
import { kindsSuite } from './suites/kinds'
import { mediaSuite } from './suites/media'
import { swapsSuite } from './suites/swaps'

const world = useEngine('chromium')

mediaSuite(world)
kindsSuite(world)
swapsSuite(world)
failoverSuite(world)
demoSuite(world)
