// The ttff page's bundle entry: the built package, imported by name as a web app would.
import * as sdk from 'red5pro-bluegreen'

import { install } from './page'

install(sdk)
