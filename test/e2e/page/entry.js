// The harness bundle's entry: the built package, imported by name as a web app would.
import * as sdk from 'red5pro-bluegreen'

import { install } from './harness'
import { observePeerConnections } from './peers'

observePeerConnections()
install(sdk)
