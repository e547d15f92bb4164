// What the size budget is about: an app that imports createClient and nothing else.
import { createClient } from 'red5pro-bluegreen'

globalThis.__createClient = createClient
