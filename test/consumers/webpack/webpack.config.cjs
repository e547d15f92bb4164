const path = require('node:path')

module.exports = {
  mode: 'production',
  entry: { main: './main.js', size: './size.js' },
  output: { path: path.resolve(__dirname, 'dist'), clean: true },
  stats: 'errors-warnings',
  performance: { hints: false },
}
