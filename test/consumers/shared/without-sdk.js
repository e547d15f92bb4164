// The plain app: Red5's SDK is not installed, so driver 'auto' uses whipDriver.
export {}
