const path = require('path');
const HtmlWebpackPlugin = require('html-webpack-plugin');

module.exports = (env, argv) => {  
  const production = argv.mode === 'production';
  return {
    entry: './src/index.tsx',
    output: { 
      path: path.resolve(__dirname, 'dist'),
      filename: production ? '[name].[contenthash].js' : '[name].js',
      clean: true,   
      publicPath: '/',
    },
    
    resolve: {
      extensions: ['.ts', '.tsx', '.js'],
    },
    module: {
      rules: [
        { test: /\.tsx?$/, use: 'ts-loader', exclude: /node_modules/ },
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      ],
    },
    devtool: production ? 'source-map' : 'eval-cheap-module-source-map',
    plugins: [new HtmlWebpackPlugin({ template: './public/index.html' })],
    devServer: {
      port: 3000,
      historyApiFallback: true,
    },
  };
};
