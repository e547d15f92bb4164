'use client'
import { useEffect } from 'react'

import '../variant.js'
import { start } from '../app.js'

export default function Publisher() {
  useEffect(() => {
    void start()
  }, [])
  return <p>next consumer</p>
}
