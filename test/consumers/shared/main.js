import './variant.js'
import { start } from './app.js'

void start()
