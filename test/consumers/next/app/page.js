// Rendered on the server first (the package must do nothing at import), then started in the browser.
import Publisher from './publisher'

export default function Page() {
  return <Publisher />
}
